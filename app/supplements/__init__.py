"""Supplements (bổ sung hồ sơ): documents the agency asks for after submission (status 5),
uploaded by the applicant, signed again, and sent to the back office as a package of their own."""
