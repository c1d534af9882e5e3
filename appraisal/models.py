"""Appraisal cycles, self-assessments, ballots, ratings, publicity, records, life meetings."""

from django.db import models  # noqa: F401

# Commendations keep their models in their own module; importing them here registers them
# with the appraisal app. Keep this line at the end of the file.
from .commendations.models import *  # noqa: F403
