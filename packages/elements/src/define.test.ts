import { expect } from '@open-wc/testing';
import { LitElement } from 'lit';

import { defineElement, ELEMENTS } from './define.js';
import {
  BagNetExplainerElement,
  BagNetHeatmapElement,
  EvidenceBarElement,
  PatchCertificateElement,
  PatchGalleryElement,
} from './index.js';

describe('define.js', () => {
  it('registers the five tags with their classes', () => {
    expect(customElements.get('bagnet-heatmap')).to.equal(BagNetHeatmapElement);
    expect(customElements.get('patch-gallery')).to.equal(PatchGalleryElement);
    expect(customElements.get('evidence-bar')).to.equal(EvidenceBarElement);
    expect(customElements.get('bagnet-explainer')).to.equal(BagNetExplainerElement);
    expect(customElements.get('patch-certificate')).to.equal(PatchCertificateElement);
    expect(Object.keys(ELEMENTS)).to.deep.equal([
      'bagnet-explainer',
      'bagnet-heatmap',
      'patch-gallery',
      'evidence-bar',
      'patch-certificate',
    ]);
    expect(document.createElement('bagnet-heatmap')).to.be.instanceOf(BagNetHeatmapElement);
  });

  it('is guarded: the same class again is skipped silently; another class keeps the first, with a warning', () => {
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (msg: string) => warnings.push(msg);
    try {
      defineElement('bagnet-heatmap', BagNetHeatmapElement);
      expect(warnings).to.deep.equal([]);
      class Other extends LitElement {
        static readonly version = '9.9.9';
      }
      defineElement('bagnet-heatmap', Other);
      expect(customElements.get('bagnet-heatmap')).to.equal(BagNetHeatmapElement);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.contain('<bagnet-heatmap> is already defined by another class (version 0.1.0)');
      expect(warnings[0]).to.contain('version 9.9.9');
    } finally {
      console.warn = warn;
    }
  });

  it('the classes can be registered under other names (a page that already has a <patch-gallery>)', async () => {
    class MyGallery extends PatchGalleryElement {}
    defineElement('my-patch-gallery', MyGallery);
    const el = document.createElement('my-patch-gallery');
    document.body.append(el);
    await (el as PatchGalleryElement).updateComplete;
    expect(el.shadowRoot!.textContent).to.contain('No patches yet');
    el.remove();
  });
});
