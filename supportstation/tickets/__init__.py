"""Tickets: the queue and its ordering, SLA, the status workflow, the timeline, time tracking, import and export."""


class TicketNotFound(LookupError):
    """No ticket has that reference or id: mistyped, or deleted (by a colleague, in a shared database) since it
    was listed. (Here, not in details: commands that only record on a ticket need it without the workspace's reads.)"""
