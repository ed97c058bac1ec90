import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  APPLICATION_ACTIONS,
  type Application,
  type ApplicationAction,
  type ApplicationActor,
  type ApplicationState,
  advanceApplication,
  isFinal,
  submitApplication,
} from '#core/applications/application.ts';
import {
  ApplicationActorRefused,
  ApplicationNoteRequired,
  IllegalApplicationTransition,
  LicenseIdRequired,
} from '#core/applications/errors.ts';

const AGENCY = '11330100D0000011XM';
const HOLDER = '5d0c3a1e-0001-4a7e-9c1d-000000000001';
const LICENSE_ID = '1.2.156.3005.2.11100000D00000013G001.11330100D0000011XM.ABC.001.X';
const holder: ApplicationActor = { kind: 'holder', id: HOLDER };
const agency: ApplicationActor = { kind: 'agency', id: AGENCY };

function submitted(): Application {
  return submitApplication({
    id: 'a1',
    typeCode: '11100000D00000013G001',
    agency: AGENCY,
    holderAccount: HOLDER,
    holderCodeType: '111',
    time: '2025-06-01T02:00:00.000Z',
    note: '  首次申领 ',
    attachments: ['digest-1'],
  }).application;
}

const at = (minute: number) => `2025-06-01T02:${String(minute).padStart(2, '0')}:00.000Z`;

describe('submitting', () => {
  test('starts at submitted, version 1, with a first step by the holder carrying the trimmed note and attachments', () => {
    const { application, step } = submitApplication({
      id: 'a1',
      typeCode: 'T',
      agency: AGENCY,
      holderAccount: HOLDER,
      holderCodeType: '111',
      time: at(0),
      note: '  首次申领 ',
      attachments: ['digest-1'],
    });
    expect(application).toEqual({
      id: 'a1',
      typeCode: 'T',
      agency: AGENCY,
      holderAccount: HOLDER,
      holderCodeType: '111',
      state: 'submitted',
      created: at(0),
      updated: at(0),
      version: 1,
    });
    expect(step).toEqual({
      seq: 1,
      action: 'submit',
      from: null,
      to: 'submitted',
      actor: holder,
      time: at(0),
      note: '首次申领',
      attachments: ['digest-1'],
    });
  });
});

describe('the review path', () => {
  test('request-info → respond → approve → issue ends approved with the license id, each step numbered and timed', () => {
    const first = submitted();
    const asked = advanceApplication(first, {
      action: 'request-info',
      actor: agency,
      time: at(1),
      note: '请补充户口簿',
    });
    expect(asked.application).toMatchObject({ state: 'info-requested', version: 2, updated: at(1) });
    expect(asked.step).toEqual({
      seq: 2,
      action: 'request-info',
      from: 'submitted',
      to: 'info-requested',
      actor: agency,
      time: at(1),
      note: '请补充户口簿',
    });
    const answered = advanceApplication(asked.application, {
      action: 'respond',
      actor: holder,
      time: at(2),
      attachments: ['digest-2'],
      dataChanged: true,
    });
    expect(answered.application).toMatchObject({ state: 'submitted', version: 3 });
    expect(answered.step).toMatchObject({ seq: 3, attachments: ['digest-2'], dataChanged: true });
    expect(answered.step.note).toBeUndefined();
    const approving = advanceApplication(answered.application, {
      action: 'approve',
      actor: agency,
      time: at(3),
      note: '准予许可',
    });
    expect(approving.application).toMatchObject({ state: 'approving', version: 4 });
    expect(approving.application.licenseId).toBeUndefined();
    expect(approving.step).toEqual({
      seq: 4,
      action: 'approve',
      from: 'submitted',
      to: 'approving',
      actor: agency,
      time: at(3),
      note: '准予许可',
    });
    const approved = advanceApplication(approving.application, {
      action: 'issue',
      actor: agency,
      time: at(4),
      licenseId: LICENSE_ID,
    });
    expect(approved.application).toMatchObject({ state: 'approved', version: 5, licenseId: LICENSE_ID });
    expect(approved.step).toMatchObject({ seq: 5, from: 'approving', to: 'approved', licenseId: LICENSE_ID });
    // The input is never changed.
    expect(first.state).toBe('submitted');
    expect(first.version).toBe(1);
  });

  test('rejecting records the reason; withdrawing needs none', () => {
    const rejected = advanceApplication(submitted(), {
      action: 'reject',
      actor: agency,
      time: at(1),
      note: '不符合申领条件',
    });
    expect(rejected.application.state).toBe('rejected');
    expect(rejected.step.note).toBe('不符合申领条件');
    const withdrawn = advanceApplication(submitted(), { action: 'withdraw', actor: holder, time: at(1) });
    expect(withdrawn.application.state).toBe('withdrawn');
  });

  test('an approving application may still be rejected or withdrawn (the app layer refuses it once its license exists)', () => {
    const approving = advanceApplication(submitted(), {
      action: 'approve',
      actor: agency,
      time: at(4),
    }).application;
    const rejected = advanceApplication(approving, {
      action: 'reject',
      actor: agency,
      time: at(5),
      note: '所决定的数据已不能颁发',
    });
    expect(rejected.step).toMatchObject({ from: 'approving', to: 'rejected' });
    const withdrawn = advanceApplication(approving, { action: 'withdraw', actor: holder, time: at(5) });
    expect(withdrawn.step).toMatchObject({ from: 'approving', to: 'withdrawn' });
  });
});

describe('refusals', () => {
  test('approving an application waiting for information is an illegal transition naming the state', () => {
    const asked = advanceApplication(submitted(), {
      action: 'request-info',
      actor: agency,
      time: at(1),
      note: '补充材料',
    }).application;
    expect(() => advanceApplication(asked, { action: 'approve', actor: agency, time: at(2) })).toThrow(
      IllegalApplicationTransition,
    );
    expect(() => advanceApplication(asked, { action: 'approve', actor: agency, time: at(2) })).toThrow(
      /is info-requested; approve is allowed only from submitted/,
    );
  });

  test('once approving, the agency can no longer ask nor approve again: issue goes on (or reject, withdraw)', () => {
    const approving = advanceApplication(submitted(), {
      action: 'approve',
      actor: agency,
      time: at(1),
    }).application;
    expect(() =>
      advanceApplication(approving, { action: 'request-info', actor: agency, time: at(2), note: '补充' }),
    ).toThrow(IllegalApplicationTransition);
    expect(() => advanceApplication(approving, { action: 'approve', actor: agency, time: at(2) })).toThrow(
      IllegalApplicationTransition,
    );
    expect(() =>
      advanceApplication(submitted(), { action: 'issue', actor: agency, time: at(2), licenseId: LICENSE_ID }),
    ).toThrow(/is submitted; issue is allowed only from approving/);
    expect(isFinal(approving.state)).toBe(false);
  });

  test('responding when nothing was asked is refused', () => {
    expect(() => advanceApplication(submitted(), { action: 'respond', actor: holder, time: at(1) })).toThrow(
      IllegalApplicationTransition,
    );
  });

  test('the holder cannot decide and the agency cannot withdraw; another holder or agency cannot act', () => {
    const app = submitted();
    expect(() =>
      advanceApplication(app, { action: 'approve', actor: holder, time: at(1), licenseId: LICENSE_ID }),
    ).toThrow(ApplicationActorRefused);
    const approving = advanceApplication(app, { action: 'approve', actor: agency, time: at(1) }).application;
    expect(() =>
      advanceApplication(approving, { action: 'issue', actor: holder, time: at(2), licenseId: LICENSE_ID }),
    ).toThrow(ApplicationActorRefused);
    expect(() => advanceApplication(app, { action: 'withdraw', actor: agency, time: at(1) })).toThrow(
      ApplicationActorRefused,
    );
    expect(() =>
      advanceApplication(app, {
        action: 'withdraw',
        actor: { kind: 'holder', id: 'someone-else' },
        time: at(1),
      }),
    ).toThrow(ApplicationActorRefused);
    expect(() =>
      advanceApplication(app, {
        action: 'reject',
        actor: { kind: 'agency', id: '11330100D00000128M' },
        time: at(1),
        note: 'no',
      }),
    ).toThrow(ApplicationActorRefused);
  });

  test('request-info and reject need a note that is not blank; issue needs a license id', () => {
    expect(() =>
      advanceApplication(submitted(), { action: 'request-info', actor: agency, time: at(1), note: '   ' }),
    ).toThrow(ApplicationNoteRequired);
    expect(() => advanceApplication(submitted(), { action: 'reject', actor: agency, time: at(1) })).toThrow(
      /reject needs a reason/,
    );
    const approving = advanceApplication(submitted(), {
      action: 'approve',
      actor: agency,
      time: at(1),
    }).application;
    expect(() => advanceApplication(approving, { action: 'issue', actor: agency, time: at(2) })).toThrow(
      LicenseIdRequired,
    );
    expect(() =>
      advanceApplication(approving, { action: 'issue', actor: agency, time: at(2), licenseId: '  ' }),
    ).toThrow(LicenseIdRequired);
  });
});

describe('any sequence of actions (property)', () => {
  const actionArb = fc.constantFrom<ApplicationAction>(...APPLICATION_ACTIONS);
  const stepArb = fc.record({ action: actionArb, byHolder: fc.boolean(), withNote: fc.boolean() });

  test('final states absorb, versions count the accepted steps, a license id exactly when approved, approving leads only there', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 12 }), (steps) => {
        let app = submitted();
        let accepted = 1;
        const seen: ApplicationState[] = [app.state];
        for (const [i, s] of steps.entries()) {
          const before = app;
          try {
            const next = advanceApplication(app, {
              action: s.action,
              actor: s.byHolder ? holder : agency,
              time: at(i + 1),
              note: s.withNote ? 'note' : undefined,
              licenseId: LICENSE_ID,
            });
            expect(isFinal(before.state)).toBe(false);
            expect(next.step.seq).toBe(before.version + 1);
            expect(next.step.from).toBe(before.state);
            // Approved is reached from approving alone; approving leads there, or — while no
            // license was written, which the app layer checks — to rejected or withdrawn.
            if (next.application.state === 'approved') expect(before.state).toBe('approving');
            if (before.state === 'approving') {
              expect(['approved', 'rejected', 'withdrawn']).toContain(next.application.state);
            }
            app = next.application;
            accepted += 1;
            seen.push(app.state);
          } catch (error) {
            expect(
              error instanceof IllegalApplicationTransition ||
                error instanceof ApplicationActorRefused ||
                error instanceof ApplicationNoteRequired,
            ).toBe(true);
            expect(app).toBe(before);
          }
          expect(app.version).toBe(accepted);
          expect(app.licenseId !== undefined).toBe(app.state === 'approved');
        }
        // Once final, nothing follows.
        const firstFinal = seen.findIndex(isFinal);
        if (firstFinal >= 0) expect(seen.length).toBe(firstFinal + 1);
      }),
    );
  });
});
