import { listHolderLicenses, openHolderLicense } from '#app/holder-licenses.ts';
import { jsonResponse } from '#http/responses.ts';
import type { RouteImplementation } from '#http/router.ts';
import { holderOf } from './account.ts';
import { audit, cipher, config, eventIds, identity, layoutDocuments, licenses, now, seals } from './deps.ts';

const deps = { identity, licenses, config, seals, audit, now, newEventId: eventIds('holder-read') };

export const licensesRoutes: Record<string, RouteImplementation> = {
  async listHolderLicenses(event) {
    return jsonResponse(200, await listHolderLicenses({ account: holderOf(event).account }, deps));
  },
  async getHolderLicense(event) {
    const detail = await openHolderLicense(
      { account: holderOf(event).account, licenseId: event.pathParameters?.licenseId ?? '' },
      { ...deps, cipher, documents: layoutDocuments },
    );
    return jsonResponse(200, detail);
  },
};
