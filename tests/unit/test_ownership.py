from __future__ import annotations

from pmcp_action.ownership import Resource, is_managed, labels, not_ours

RESOURCE = Resource(
    kind="Cloud Run service",
    name="calc",
    where="in projects/p/locations/us-central1",
    mark="the label managed-by=pmcp",
    chosen_by="server-name, gcp-project and region",
    adopt_hint="Add the label managed-by=pmcp to adopt it",
    delete_hint="gcloud run services delete calc",
)


def test_the_mark_and_the_server_key() -> None:
    assert labels() == {"managed-by": "pmcp"}
    assert labels("calc", server_key="pmcp-server") == {"managed-by": "pmcp", "pmcp-server": "calc"}
    assert is_managed({"managed-by": "pmcp"})
    assert not is_managed({"managed-by": "terraform"}) and not is_managed(None)
    assert is_managed(labels("calc", server_key="k"), server="calc", server_key="k")
    assert not is_managed(labels("other", server_key="k"), server="calc", server_key="k")


def test_refusals_say_what_lacks_the_mark_and_how_out() -> None:
    deploying = not_ours(RESOURCE, target="google-cloud-run")
    assert deploying.message == (
        "The Cloud Run service calc in projects/p/locations/us-central1 was not made by "
        "pmcp-action (it lacks the label managed-by=pmcp); it is left alone."
    )
    assert deploying.remediation == (
        "Add the label managed-by=pmcp to adopt it, or pick another server-name."
    )
    deleting = not_ours(RESOURCE, target="google-cloud-run", deleting=True)
    assert deleting.remediation == "Delete it where it was made (gcloud run services delete calc)."
    assert deleting.title == "Not made by pmcp-action"
