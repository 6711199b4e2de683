// Who may call a sandbox route, declared in each route's definition (`config`), as every route in Hutong does.
import type { Principal } from '../http/access';

/** The gateway API, wallet pages, downloads and registration: the sandbox verifies its client's signature itself. */
export const SANDBOX_CLIENT: { access: readonly Principal[] } = { access: ['sandbox_client'] };
/** Test-only controls and views outside the real provider API (clock, faults, books): the sandbox admin token. */
export const SANDBOX_ADMIN: { access: readonly Principal[] } = { access: ['sandbox_admin'] };
