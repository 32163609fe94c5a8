"""Public dissemination (issue 19, part 3): released figures served anonymously, read-only.

Opt-in per installation (``NRS_PUBLIC``). Coordinators mark indicators public with a minimum
area level and a release calendar (models.py, written only through actions.py); scope.py is
the one rule of what is public; views.py is the explorer at /public/; middleware.py answers
CORS on /public/ and /sdmx/.
"""
