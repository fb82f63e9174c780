"""`flocks.config.Config().get_global().data_dir`: flockflow's data folder as a pathlib.Path."""
import os
import pathlib


class _GlobalConfig:
    @property
    def data_dir(self):
        return pathlib.Path(os.environ.get("FLOCKFLOW_DATA_DIR") or os.path.expanduser("~/.flockflow/data"))


class Config:
    def get_global(self):
        return _GlobalConfig()
