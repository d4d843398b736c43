import { chartSuite } from './charts.suite.ts';

chartSuite('proposed');
