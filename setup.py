"""Package discovery: `mlpec_lab/` plus `kernels/` shipped as `mlpec_lab.kernels`."""
from setuptools import find_packages, setup

packages = find_packages(include=["mlpec_lab", "mlpec_lab.*"])
packages += ["mlpec_lab.kernels"] + [
    "mlpec_lab.kernels." + p for p in find_packages(where="kernels")
]
setup(packages=packages)
