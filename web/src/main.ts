/** Panel entry point (Vite builds web/index.html → web/dist/). */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { PanelApp } from './ui/app.js';
import { defineGraphs } from './ui/graphs-element.js';
import { defineMeter } from './ui/meter-element.js';

defineMeter();
defineGraphs();
const root = document.getElementById('app');
if (root) new PanelApp(root).start();
