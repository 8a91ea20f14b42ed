"""Compilers from a flow to a target's native format, and the clients that send them."""
