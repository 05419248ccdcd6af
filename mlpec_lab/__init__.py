"""mlpec-lab: machine-learning interatomic potentials at electrochemical interfaces."""
__version__ = "0.1.0"
