import { chartSuite } from './charts.suite.ts';

chartSuite('qemu-7.2');
