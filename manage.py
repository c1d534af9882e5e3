#!/usr/bin/env python
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # A development checkout's .env (written by `make`, gitignored) turns DEBUG on for
    # management commands. Only manage.py reads it, real environment variables win, and
    # gunicorn, Celery and pytest never see it.
    env_file = Path(__file__).resolve().with_name(".env")
    if env_file.exists():
        import environ

        environ.Env.read_env(env_file)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "branchsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
