"""Rendering of subjects and bodies for one customer, in jinja2's sandbox."""
