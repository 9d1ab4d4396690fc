/** Panel entry point (Vite builds web/index.html → web/dist/). */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { PanelController } from './ui/panel-controller.js';
import { defineGraphs } from './ui/graphs-element.js';
import { defineMeter } from './ui/meter-element.js';

defineMeter();
defineGraphs();
const root = document.getElementById('app');
if (root) new PanelController(root).start();
