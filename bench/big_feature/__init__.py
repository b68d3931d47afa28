"""One big feature file run in several behave processes (issue 20): see bench/README.md."""
