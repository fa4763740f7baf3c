"""Widgets of the intervention report: the customer's and engineer's signatures."""
