"""Intervention reports: assembly from the timeline, templates, PDF, printing, e-mail and the outbox."""
