/**
 * LocationsService in process: v2beta's projects.locations list (paged as every listing,
 * never ignoring what it can't do) and get.
 */
import {strict as assert} from 'assert';
import {Bench, refused} from './support';

describe('core LocationsService', () => {
  const LOCATIONS = ['us-central1', 'europe-west2', 'europe-west4', 'asia-southeast1'];
  let bench: Bench;
  beforeEach(() => {
    bench = new Bench({policy: {locations: LOCATIONS}});
  });
  const locations = () => bench.services.locations;

  it('lists the configured locations in order, paged with a token bound to the project', async () => {
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await locations().list('p', {pageSize: 3, pageToken});
      seen.push(...page.locations.map(l => l.locationId));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    assert.deepEqual(seen, LOCATIONS);
    assert.equal(pages, 2);
    const first = await locations().list('p', {pageSize: 1});
    assert.deepEqual(first.locations[0], {name: 'projects/p/locations/us-central1', locationId: 'us-central1', displayName: 'us-central1'});
    await refused(locations().list('another', {pageToken: first.nextPageToken}), 'INVALID_ARGUMENT', 'INVALID_PAGE_TOKEN');
    assert.equal((await locations().list('p')).nextPageToken, undefined, 'one page by default');
  });

  it('refuses a filter and a negative pageSize rather than ignore them', async () => {
    const filter = await refused(locations().list('p', {filter: 'locationId = us-central1'}), 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
    assert.match(filter.message, /^filter must be empty: locations are listed whole/);
    await refused(locations().list('p', {pageSize: -1}), 'INVALID_ARGUMENT', 'INVALID_ARGUMENT');
  });

  it('gets a configured location; another is NOT_FOUND', async () => {
    assert.equal(locations().get('p', 'europe-west4').name, 'projects/p/locations/europe-west4');
    const error = await refused(Promise.resolve().then(() => locations().get('p', 'mars-north1')), 'NOT_FOUND', 'LOCATION_NOT_FOUND');
    assert.match(error.message, /projects\/p\/locations\/mars-north1/);
  });
});
