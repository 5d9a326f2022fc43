/**
 * v2beta's locations. Gaffer runs wherever its workers are, so a location is where an
 * operation is filed (projects/P/locations/L/operations), not a place it runs: any
 * well-formed location is accepted in a path, and projects.locations.list answers the
 * configured ones (Nextflow checks its location is among them).
 */
import type {ListLocationsResponseJson, LocationJson} from '../wire/lifesciences';
import {notFound} from './errors';
import {locationJson} from './lifesciences';

export class LocationsService {
  constructor(private readonly locations: readonly string[]) {}

  list(projectId: string): ListLocationsResponseJson {
    return {locations: this.locations.map(id => locationJson(projectId, id))};
  }

  get(projectId: string, locationId: string): LocationJson {
    if (!this.locations.includes(locationId)) {
      throw notFound('Location', `projects/${projectId}/locations/${locationId}`, 'LOCATION_NOT_FOUND');
    }
    return locationJson(projectId, locationId);
  }
}
