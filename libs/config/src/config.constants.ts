/** Injection token of the validated RateConfig. */
export const RATE_CONFIG = Symbol('RATE_CONFIG');
export const JSON_LOGGER = Symbol('JSON_LOGGER');
