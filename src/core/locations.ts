/**
 * v2beta's locations. Gaffer runs wherever its workers are, so a location is where an
 * operation is filed (projects/P/locations/L/operations), not a place it runs: any
 * well-formed location is accepted in a path, and projects.locations.list answers the
 * configured ones (Nextflow checks its location is among them).
 */
import type {ListLocationsResponseJson, LocationJson} from '../wire/lifesciences';
import {invalidArgument, notFound} from './errors';
import {locationJson} from './lifesciences';
import type {ListRequest} from './operations';
import {PageTokens, Position, effectivePageSize} from './pageToken';

/** A locations listing's position: the index of the next location. */
function isLocationPosition(position: Position): position is [number] {
  return position.length === 1 && typeof position[0] === 'number' && Number.isInteger(position[0]) && position[0] >= 0;
}

export class LocationsService {
  constructor(
    private readonly locations: readonly string[],
    private readonly pageTokens: PageTokens,
  ) {}

  /** Every configured location, in configuration order, paged like every other listing. */
  async list(projectId: string, request: ListRequest = {}): Promise<ListLocationsResponseJson> {
    if (request.filter) {
      // A handful of locations, all alike: nothing worth filtering on, and a filter must never be ignored.
      throw invalidArgument('filter', 'empty: locations are listed whole (page them with pageSize)', request.filter);
    }
    const pageSize = effectivePageSize(request.pageSize);
    const listing = ['locations', projectId];
    const [start] = request.pageToken ? await this.pageTokens.decode(listing, request.pageToken, isLocationPosition) : [0];
    const end = start + pageSize;
    const response: ListLocationsResponseJson = {locations: this.locations.slice(start, end).map(id => locationJson(projectId, id))};
    if (end < this.locations.length) response.nextPageToken = await this.pageTokens.encode(listing, [end]);
    return response;
  }

  get(projectId: string, locationId: string): LocationJson {
    if (!this.locations.includes(locationId)) {
      throw notFound('Location', `projects/${projectId}/locations/${locationId}`, 'LOCATION_NOT_FOUND');
    }
    return locationJson(projectId, locationId);
  }
}
