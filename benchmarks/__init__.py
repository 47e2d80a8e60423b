"""Speed and memory measurements, run by hand (`make bench`); results go in the README's table."""
