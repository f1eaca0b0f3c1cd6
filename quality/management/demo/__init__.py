"""The demo centre that `./dev start` loads (`manage.py demo_data`): its people in `content`, its cohort of
units in every state in `cohort`."""
