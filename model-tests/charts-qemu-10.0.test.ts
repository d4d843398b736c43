import { chartSuite } from './charts.suite.ts';

chartSuite('qemu-10.0');
