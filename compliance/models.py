# Content rules, stop list, consent and sending windows arrive with the compliance issue.
