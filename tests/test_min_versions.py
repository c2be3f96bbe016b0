"""The floors in requirements.txt are the versions the minimum-versions leg of CI installs and tests (#22)."""

import pytest

from course_tools import min_versions
from course_utils.envvars import env_flag
from course_utils.runtime import REQUIRED


def test_every_direct_dependency_declares_a_floor():
    floors = min_versions.floors()
    assert {"torch", "transformers", "datasets", "accelerate", "evaluate", "nbval"} <= set(floors)
    assert all(version[0].isdigit() for version in floors.values())


def test_a_requirement_without_a_floor_is_refused(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("transformers>=5.0,<6\nnumpy\n-e .\n", encoding="utf-8")
    with pytest.raises(ValueError, match="numpy"):
        min_versions.floors(requirements)


def test_the_constraints_pin_each_floor_and_the_tested_torch(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("torch>=2.6,<3\ntransformers>=5.0,<6  # comment\n-e .\n", encoding="utf-8")
    assert min_versions.constraints(requirements) == f"torch=={min_versions.TORCH_TESTED}\ntransformers==5.0\n"


def test_the_setup_check_uses_the_same_floors():
    floors = min_versions.floors()
    for package, spec in REQUIRED.items():
        assert f">={floors[package]}" in spec, package


@pytest.mark.skipif(
    not env_flag("COURSE_MIN_VERSIONS"),
    reason="只在最低版本的测试环境里检查（.ci/run 的 minimum-versions 一步会设置 COURSE_MIN_VERSIONS=1）",
)
def test_the_declared_floors_are_the_installed_versions():
    """Run in the minimum-versions leg: the floor of every direct dependency is what is installed and tested."""
    assert min_versions.mismatches() == {}


def test_the_floor_check_can_fail(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("transformers>=4.0\n", encoding="utf-8")  # not what any environment here holds
    assert "transformers" in min_versions.mismatches(requirements)
