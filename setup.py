"""Packaging details pyproject.toml cannot express: the top-level resources/ folder ships inside the package.

`packages.find` only finds folders with an `__init__.py` under their own name, so the mapped package
`supportstation.resources` (the folder `resources/`) is added here. An installed wheel then finds its icons,
translations and templates through `paths.resources()` exactly as a checkout does.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["supportstation", "supportstation.*"]), "supportstation.resources"],
    package_dir={"supportstation.resources": "resources"},
    package_data={
        "supportstation": ["storage/migrations/script.py.mako"],
        "supportstation.resources": ["**/*"],
    },
)
