"""The agents' console: the queue (saved views, filters, counts, paging) and ticket search."""
