-- Per-tenant role assignments (admin API). App roles in a token name no tenant: when one Entra
-- directory holds several platform tenants, a token's roles cannot say which tenant they are
-- for, so there each tenant grants its roles here, per Entra object id. Managed by a TenantAdmin;
-- every change is audited in the tenant's chain.
CREATE TABLE role_assignments (
    object_id    text NOT NULL,
    role         text NOT NULL CHECK (role IN ('TenantAdmin', 'Approver', 'Auditor', 'Viewer')),
    assigned_by  text NOT NULL,
    assigned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (object_id, role)
);

-- The approvals queue and task lists filter on these.
CREATE INDEX tasks_created ON tasks (created_at, id);
CREATE INDEX tasks_requester ON tasks (requester);
