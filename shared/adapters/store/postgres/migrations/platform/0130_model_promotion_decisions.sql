-- Promotion through the admin API: a proposal can be rejected (not only approved), and every
-- step names the Entra object id that took it (actor_id) beside the readable actor. The
-- proposer-cannot-approve check compares object ids, which a changed user name cannot dodge.
ALTER TABLE platform.model_promotions DROP CONSTRAINT model_promotions_action_check;
ALTER TABLE platform.model_promotions ADD CONSTRAINT model_promotions_action_check
    CHECK (action IN ('proposed', 'approved', 'rejected', 'refused', 'rolled-back'));
ALTER TABLE platform.model_promotions ADD COLUMN actor_id text NOT NULL DEFAULT '';
