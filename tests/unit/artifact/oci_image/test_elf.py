"""oci_image.elf: the ELF facts of a real binary and its libc."""

from __future__ import annotations

from pmcp_action.artifact.oci_image.elf import read_elf_facts
from tests.unit.artifact.oci_image.helpers import HOST_BINARY


def test_elf_facts_of_a_real_binary_and_libc() -> None:
    with HOST_BINARY.open("rb") as handle:
        facts = read_elf_facts(handle)
    assert facts.machine == 62 and facts.dynamic and not facts.musl
    assert facts.glibc and facts.glibc[-1] >= (2, 2)
    with open("/usr/lib/x86_64-linux-gnu/libc.so.6", "rb") as handle:
        assert read_elf_facts(handle).glibc[-1] == (2, 36)  # bookworm's
