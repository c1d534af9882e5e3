"""Every write that matters in education/, one function per use case and one transaction each,
in one module per use case: import each from its module
(`from education.services.sessions import session_plan`). They raise members.services.DomainError.

The app's permissions are registered in EducationConfig.ready (education/apps.py).
"""
