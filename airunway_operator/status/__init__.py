"""Pure status logic: condition upserts, phase folding and the minimal status patch."""
