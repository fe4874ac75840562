-- Promotion through the admin API: a proposal can be rejected (not only approved), and every
-- step names the Entra object id that took it (actor_id) beside the readable actor. The
-- proposer-cannot-approve check compares object ids, which a changed user name cannot dodge.
ALTER TABLE platform.model_promotions DROP CONSTRAINT model_promotions_action_check;
ALTER TABLE platform.model_promotions ADD CONSTRAINT model_promotions_action_check
    CHECK (action IN ('proposed', 'approved', 'rejected', 'refused', 'rolled-back'));
ALTER TABLE platform.model_promotions ADD COLUMN actor_id text NOT NULL DEFAULT '';
-- A proposal is decided once: an approval or rejection names the proposal it decides, and a
-- second decision of the same proposal (two admins at once) is refused by the index, before the
-- alias moves twice and a rollback would aim at the wrong version.
ALTER TABLE platform.model_promotions ADD COLUMN proposal bigint
    REFERENCES platform.model_promotions (id);
CREATE UNIQUE INDEX model_promotions_one_decision ON platform.model_promotions (proposal)
    WHERE action IN ('approved', 'rejected');
