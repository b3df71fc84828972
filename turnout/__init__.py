"""Turnout: organizing and rapid mobilization for unions, labor councils and worker centers."""
