import pytest

from xhnlp import labels


def test_codes_match_the_guideline():
    assert labels.AREA_CODES == ("economy", "reform", "innovation", "space", "culture", "livelihood", "governance",
                                 "general")
    assert labels.TYPE_CODES == ("none", "target", "project", "institution", "measure", "principle")
    assert labels.AREA_ID["governance"] == 6 and labels.TYPE_ID["principle"] == 5
    assert labels.area("livelihood").zh == "民生"
    assert labels.commitment_type("target").zh == "量化目标"


def test_validation_names_allowed_values():
    assert labels.validate_area("space") == "space"
    with pytest.raises(ValueError, match="economy, reform"):
        labels.validate_area("economics")
    with pytest.raises(ValueError, match="none, target, project"):
        labels.validate_type("goal")
