"""Example system under test for interlock (a small shop); not part of the framework."""
