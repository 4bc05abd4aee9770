import { DockError } from '../errors.js';

/**
 * Why `bwc-dock setup` stops or refuses an answer (never HTTP, never a docking's end). On a terminal a refused
 * answer is asked again with its reason; with answers on stdin it ends the setup (exit 2) and nothing is written.
 * - `config_exists`: the config file is there already and `--force` was not given;
 * - `input_ended`: stdin ended (Ctrl-D, too few lines) before every question had its answer;
 * - `interrupted`: Ctrl-C before the setup was written (nothing is);
 * - `invalid`: an answer that is not one (dock id, time zone, data folder, address, recorders' password, a second
 *   entry that differs, the supervisor's password the same as the administrator's); `field` names the question;
 * - `tls_unreadable`: the agency's certificate or key is not a readable PEM, or the key needs a passphrase;
 * - `tls_mismatch`: the agency's key is not the key of its certificate;
 * - `tls_expired`: the agency's certificate has expired or is not valid yet;
 * - `openssl_failed`: openssl could not make the self-signed certificate (missing, or it failed);
 * - `service_user`: the `--service-user` does not exist on this system.
 */
export const SETUP_ERROR_CODES = [
  'config_exists',
  'input_ended',
  'interrupted',
  'invalid',
  'tls_unreadable',
  'tls_mismatch',
  'tls_expired',
  'openssl_failed',
  'service_user',
] as const;
export type SetupErrorCode = (typeof SETUP_ERROR_CODES)[number];

export class SetupError extends DockError<SetupErrorCode> {
  readonly domain = 'setup';
}
