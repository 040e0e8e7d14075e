"""The errors a user can see. Each carries one line that says what went wrong and what to do."""


class PatentDeskError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback (exit status 2)."""


class InputError(PatentDeskError):
    """A file or value given by the user cannot be used."""


class ModelError(PatentDeskError):
    """A model file is missing, damaged or of the wrong kind."""


class WorkspaceError(PatentDeskError):
    """A workspace cannot be opened, created or written."""


class Cancelled(PatentDeskError):
    """A long job was cancelled by the user; nothing half-written was kept."""
