"""Package discovery only (everything else is in setup.cfg): every linkhub.* package is found
automatically, so a new subpackage can never be left out of the wheel, and the top-level
templates/ and static/ folders ship as linkhub.templates and linkhub.static."""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["linkhub", "linkhub.*"])
      + ["linkhub.templates", "linkhub.static"])
