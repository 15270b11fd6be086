"""Previews: a pull request's (or merge request's) own deployment beside production.

- :mod:`.identity`: the preview's name, from preview-id or the CI's event, checked offline;
- :mod:`.run`: the commands preview and destroy-preview, between the pipeline and a target
  that serves previews (:class:`pmcp_action.flow.ServesPreviews`);
- :mod:`.github`: the pull request's sticky comment and GitHub deployment (REST);
- :mod:`.comment`: what that comment says.
"""
