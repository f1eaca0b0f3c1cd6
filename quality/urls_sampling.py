from django.urls import path

from quality.views import sampling

urlpatterns = [
    path("quality/sampling/", sampling.sampling_overview, name="sampling_overview"),
    path("quality/plans/new/", sampling.sampling_plan_new, name="sampling_plan_new"),
    path("quality/plans/<int:plan_id>/", sampling.sampling_plan_detail, name="sampling_plan_detail"),
    path(
        "quality/plans/<int:plan_id>/sample/unit/<int:portfolio_id>/",
        sampling.sample_unit_add,
        name="sample_unit_add",
    ),
    path(
        "quality/plans/<int:plan_id>/sample/learner/<int:learner_id>/",
        sampling.sample_learner_add,
        name="sample_learner_add",
    ),
    path("quality/plans/<int:plan_id>/sample/criterion/", sampling.sample_criterion_add, name="sample_criterion_add"),
    path("quality/sample-items/<int:item_id>/remove/", sampling.sample_item_remove, name="sample_item_remove"),
    path("centre/sampling-policy/", sampling.sampling_policy, name="sampling_policy"),
]
