"""Students as system users, each with their own copy of the notebooks (used by
jupyterhub_config.py before a server starts, and by `scripts/class.sh fresh-copy`).

A student is a system user made for the class, marked as such in the account's comment field: a
name that belongs to any other account (root, a service, a staff member) is refused, so the
shared password never opens a server as one of them. Homes are private (0700): one student can
neither read nor change another's files.
"""
import datetime
import os
import pathlib
import pwd
import shutil
import subprocess

MARK = "learning-rules student"


class NotAStudent(ValueError):
    """The name belongs to an account that the class did not make."""


def ensure_student(name):
    """The student's account, made if missing; raises NotAStudent for any other account."""
    try:
        account = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--comment", MARK, "--shell", "/bin/bash",
                        name], check=True, capture_output=True)
        account = pwd.getpwnam(name)
    if account.pw_gecos != MARK:
        raise NotAStudent(f"{name!r} is an account of this machine, not a student of the class")
    os.chmod(account.pw_dir, 0o700)
    return account


def copy_notebooks(account, originals, folder, fresh=False):
    """Copies the notebooks in `originals` into `folder` of the student's home, owned by them.
    An existing copy is kept, unless `fresh`: then it is moved aside (folder.<time>) first.
    Returns the copy's path."""
    home = pathlib.Path(account.pw_dir)
    target = home / folder
    if target.exists() and fresh:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        target.rename(home / f"{folder}.{stamp}")
    if not target.exists():
        target.mkdir(mode=0o700)
        for notebook in sorted(pathlib.Path(originals).glob("*.ipynb")):
            shutil.copyfile(notebook, target / notebook.name)
            os.chmod(target / notebook.name, 0o600)
        for path in [target, *target.iterdir()]:
            os.chown(path, account.pw_uid, account.pw_gid)
    return target
