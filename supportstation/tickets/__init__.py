"""Tickets: the queue and its ordering, SLA, the status workflow, the timeline, time tracking, import and export."""
