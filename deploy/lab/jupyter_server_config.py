# JupyterLab as `make lab` runs it (JUPYTER_CONFIG_PATH=deploy/lab): notebooks are saved
# without outputs, widget state or run metadata, so running one and saving it leaves it
# byte-identical in git and no customer data is written into notebooks/.
# labconfig/page_config.json beside this file turns off JupyterLab's news pop-up.
from support_kit.stored_notebook import pre_save_hook

c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
c.FileContentsManager.pre_save_hook = pre_save_hook
