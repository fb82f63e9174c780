"""`flocks.workspace.manager.WorkspaceManager`: the folder code nodes write reports to."""
import os
import pathlib


class WorkspaceManager:
    _instance = None

    @classmethod
    def get_instance(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def get_workspace_dir(self):
        """Config `workspace.dir` (default ~/.flockflow/workspace), created on first use."""
        path = pathlib.Path(os.environ.get("FLOCKFLOW_WORKSPACE") or os.path.expanduser("~/.flockflow/workspace"))
        path.mkdir(parents=True, exist_ok=True)
        return path
