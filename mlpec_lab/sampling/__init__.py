"""Samplers: MD drivers, bias potentials, active learning, NEB, alchemical paths."""
