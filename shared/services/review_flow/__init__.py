"""review_flow: `/agent review` on a pull/merge request becomes an anchored review."""
