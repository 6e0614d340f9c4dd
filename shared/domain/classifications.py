"""The public classification slugs an event may carry."""

from __future__ import annotations

# Kept short and stable: slugs are part of the public contract, so removing one breaks clients.
CLASSIFICATIONS: dict[str, str] = {
    "music": "Music",
    "nightlife": "Nightlife",
    "arts": "Arts & culture",
    "theatre": "Theatre",
    "comedy": "Comedy",
    "film": "Film",
    "food-drink": "Food & drink",
    "sports": "Sports",
    "fitness": "Fitness & wellness",
    "outdoors": "Outdoors",
    "community": "Community",
    "meetup": "Meetup",
    "workshop": "Workshop",
    "class": "Class",
    "conference": "Conference",
    "tech": "Technology",
    "business": "Business & networking",
    "family": "Family & kids",
    "market": "Markets & fairs",
    "festival": "Festival",
    "launch": "Launch",
    "charity": "Charity & causes",
}
